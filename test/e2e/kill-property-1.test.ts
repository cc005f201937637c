/** Cases 0–11 of the kill -9 property (test/helpers/kill-property.ts). */
import { killPropertyCases } from "../helpers/kill-property.js";

killPropertyCases(0, 12);
