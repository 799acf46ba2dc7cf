export type {
  AlertTier,
  AlertTierInput,
  CounterSelector,
  LatencySliInput,
  RatioSliInput,
  SliInput,
  SloDefinition,
  SloInput,
} from './types';
