/** Cases 12–23 of the kill -9 property (test/helpers/kill-property.ts). */
import { killPropertyCases } from "../helpers/kill-property.js";

killPropertyCases(12, 24);
