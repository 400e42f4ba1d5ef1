// The conflicts panel in Chromium against the real server (the suite: conflicts-suite.mjs).
import { conflictsSuite } from "./conflicts-suite.mjs";

conflictsSuite();
