/**
 * CDK for Terraform example app: `popdock plan --endpoint local` in the repository root runs it
 * (cdktf.json: "app": "node --import tsx examples/cdktf/main.ts") and plans the stack "popdock".
 */
import { App } from "cdktf";
import { PopdockStack } from "./stack.js";

const app = new App();
// Rotate the Power BI token by bumping the quarter: ROTATION_QUARTER=2027-Q1 npx popdock plan ...
new PopdockStack(app, "popdock", {
  env: process.env.POPDOCK_ENV ?? "dev",
  rotationQuarter: process.env.ROTATION_QUARTER ?? "2026-Q4",
});
app.synth();
