package weir.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stands in for the build-time half of Apicurio's config-index extension, which Maven Central does
 * not have: that half listed the settings an admin may change at run time. The tests change none,
 * so the list is empty.
 */
public class DynamicConfigPropertyListProducer {
  @Produces
  @Singleton
  DynamicConfigPropertyList dynamicConfigPropertyList() {
    return new DynamicConfigPropertyList(List.of());
  }
}
