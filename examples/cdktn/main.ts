/**
 * CDK Terrain example app (`cdktn` 0.24, the community successor of CDK for Terraform): the
 * quick start's reporting API user with a token rotated by its `rotation` block — CDK Terrain
 * has no null provider package, so the construct makes the keeper itself.
 *
 *   popdock plan -c examples/cdktn --endpoint local
 *
 * popdock-iac runs it as cdktf.json says, sees that it imports cdktn, and has the constructs
 * build on cdktn (provider/cdktf/lib.ts). The same app with `cdktf` imports synthesizes the same
 * Terraform JSON (test/e2e/cdk-flavours.test.ts).
 */
import { App, TerraformOutput, TerraformStack } from "cdktn";
import {
  PopdockApiToken,
  PopdockApiUser,
  PopdockApiUserGrant,
  PopdockProvider,
} from "../../provider/cdktf/index.js"; // in your app: "popdock-iac/cdktf"

const env = process.env.POPDOCK_ENV ?? "dev";
const quarter = process.env.ROTATION_QUARTER ?? "2026-Q4";

const app = new App();
const stack = new TerraformStack(app, "popdock");
new PopdockProvider(stack, "popdock");

const bot = new PopdockApiUser(stack, "reporting_bot", {
  name: `reporting-bot-${env}`,
  description: `Power BI dataset refresh (${env})`,
});
new PopdockApiUserGrant(stack, "reporting_bot_finance", { apiUserId: bot.id, team: "Finance" });
new PopdockApiUserGrant(stack, "reporting_bot_gp", {
  apiUserId: bot.id,
  connector: "GP Production",
  roles: ["Reader"],
  lists: ["Invoices"],
});
// Bump ROTATION_QUARTER to rotate: the new token is created before the old one is deleted.
const powerbi = new PopdockApiToken(stack, "reporting_bot_powerbi", {
  apiUserId: bot.id,
  key: "powerbi",
  name: `powerbi-refresh-${quarter}`,
  rotation: { triggers: { quarter } },
});

new TerraformOutput(stack, "reporting_bot_id", { value: bot.id });
new TerraformOutput(stack, "powerbi_token", { value: powerbi.tokenId, sensitive: true });
app.synth();
