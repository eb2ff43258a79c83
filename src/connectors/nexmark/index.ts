/** Nexmark: the benchmark's auction events, generated deterministically (docs/nexmark.md). */
export { AUCTION, BID, PERSON, nexmarkEventTime, type Auction, type Bid, type NexmarkEvent, type Person } from './model.ts';
export { firstAuctionId, firstCategoryId, firstPersonId, resolveNexmarkOptions, type NexmarkOptions } from './config.ts';
export { nexmarkEvent, nexmarkEvents, nexmarkPartitionCount, nexmarkSource } from './source.ts';
export { nexmarkJsonLinesFile, writeNexmarkJsonLines, writeNexmarkLog } from './write.ts';
export { nexmarkSideInput, nexmarkSideInputRows, nexmarkSideInputValue, readNexmarkSideInput, writeNexmarkSideInput } from './side-input.ts';
