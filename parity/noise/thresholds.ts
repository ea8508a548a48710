/**
 * When a legacy-vs-legacy difference makes a legacy-vs-hanzod difference at the same path not
 * count. Rates are per comparison: noiseRate = probes differing at the path / probes of the method;
 * rawRate = shadow comparisons differing at the path / shadow comparisons of the method.
 *
 * A path is learned noise for a method when at least `minProbes` probes were seen and
 * noiseRate >= `minNoiseRate`. A hanzod difference at a learned-noise path (same difference kind as
 * the noise) is discounted when
 *   the difference is a changed scalar value (kind `value`): legacy does not reproduce the value
 *   itself, so only type and presence are comparable, and those are other kinds), or
 *   noiseRate >= `volatileRate`                       (the field is volatile: any value is as good), or
 *   rawRate <= noiseRate * (1 + `relative`) + `absolute`   (Diffy: hanzod differs no more often than
 *                                                          legacy differs from itself, within tolerance).
 * Everything else is a real difference, however small its rate.
 */
export interface NoiseThresholds {
  minProbes: number;
  minNoiseRate: number;
  volatileRate: number;
  relative: number;
  absolute: number;
}

export const DEFAULT_NOISE_THRESHOLDS: NoiseThresholds = {
  minProbes: 5,
  minNoiseRate: 0.05,
  volatileRate: 0.5,
  relative: 0.2,
  absolute: 0.02,
};
