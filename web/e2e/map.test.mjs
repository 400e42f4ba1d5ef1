// The map page in Chromium against the real server (the suite: map-suite.mjs).
import { mapSuite } from "./map-suite.mjs";

mapSuite();
