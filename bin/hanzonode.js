#!/usr/bin/env node
import { runFromBin } from "./launch.js";
await runFromBin("cli/hanzonode.js");
