export { startModelServer, DEFAULT_MODEL_ID, type ModelServer, type ModelServerOptions, type RecordedRequest, type RequestOutcome } from "./server.js";
export { planReply, lastUserTurn, splitIntoChunks, contentText, ScriptError, type Plan, type ToolCallPlan, type Fault, type ChatMessageIn } from "./script.js";
