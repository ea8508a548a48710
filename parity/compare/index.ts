/** The comparator and normalisation engine, shared by replay (recorder/) and shadow diffing (parity/). */
export * from "./types.js";
export { compareFrames, compareAnswers, contractDifferences, payloadDefinitionFor, diffValues, type CompareOptions, type OptionalPathTest } from "./compare.js";
export { normalize, compileRules, mergeRules, mergeRuleSets, rulesFor, typeMarker, isOptionalPath, isUnorderedArray, type CompiledRules } from "./normalize.js";
export { GlobMatcher, parsePointerGlob, escapePointerSegment, type TaggedGlob } from "./glob.js";
export { ALL_DETECTORS, normalizeScalar, detectorMask } from "./volatile.js";
export { DEFAULT_RULES, PRESENCE_HOST_FACTS } from "./default-rules.js";
export { runSequence, runLabel, belongsToRun, missingInOrder, type RunRef } from "./run-sequence.js";
