// Entry of the browser bundle the Chromium test serves: sipstate as a page would load it.
import { createSipClient } from '../../src/index';

(globalThis as { sipstate?: unknown }).sipstate = { createSipClient };
