/**
 * CDK for Terraform example app: `popdock plan --endpoint local` in the repository root runs it
 * (cdktf.json: "app": "npx tsx examples/cdktf/main.ts") and plans the stack "popdock".
 */
import { App } from "cdktf";
import { PopdockStack } from "./stack.js";

const app = new App();
new PopdockStack(app, "popdock", { env: "dev", rotationQuarter: "2026-Q4" });
app.synth();
