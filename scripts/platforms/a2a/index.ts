export { startA2aPeer, messageText, type A2aCall, type A2aPeer, type A2aPeerOptions } from "./peer.js";
