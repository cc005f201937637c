/**
 * The example stack: the quick start's two API users (examples/quickstart/popdock.yaml) as CDK for
 * Terraform constructs. examples/cdktf/popdock.yaml describes exactly the same configuration in
 * YAML; a test checks that both read to the same DesiredConfig.
 */
import { NullProvider } from "@cdktf/provider-null/lib/provider/index.js";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource/index.js";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import {
  PopdockApiToken,
  PopdockApiUser,
  PopdockApiUserGrant,
  PopdockProvider,
} from "../../provider/cdktf/index.js";

export interface PopdockStackProps {
  /** Part of every API user's name. */
  env: string;
  /** Change it to rotate the Power BI token (the new token is created before the old one is deleted). */
  rotationQuarter: string;
}

export class PopdockStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: PopdockStackProps) {
    super(scope, id);
    const { env, rotationQuarter } = props;
    new PopdockProvider(this, "popdock"); // endpoint: --endpoint, POPDOCK_ENDPOINT, or { endpoint: "https://…" }
    new NullProvider(this, "null");

    // The construct id is the stable address: popdock_api_user.reporting_bot.
    const reporting = new PopdockApiUser(this, "reporting_bot", {
      name: `reporting-bot-${env}`,
      description: `Power BI dataset refresh (${env})`,
      lifecycle: { preventDestroy: true },
    });
    new PopdockApiUserGrant(this, "reporting_bot_finance", { apiUserId: reporting.id, team: "Finance" });
    new PopdockApiUserGrant(this, "reporting_bot_gp", {
      apiUserId: reporting.id,
      connector: "GP Production",
      roles: ["Reader", "User"],
      companies: ["Fabrikam Inc", "Contoso Ltd"],
      lists: ["Customers", "Open receivables", "Invoices"],
      details: ["Customer detail"],
    });

    // Rotation keeper: changing a trigger replaces the keeper, and with it the token.
    const keeper = new NullResource(this, "reporting_bot__powerbi_rotation", {
      triggers: { quarter: rotationQuarter },
    });
    const powerbi = new PopdockApiToken(this, "reporting_bot_powerbi", {
      apiUserId: reporting.id,
      key: "powerbi",
      // The trigger is in the name too: Popdock allows a token name once per API user, so only a
      // new name lets the new token exist before the old one is deleted (+/- in the plan).
      name: `powerbi-refresh-${rotationQuarter}`,
      lifecycle: { replaceTriggeredBy: [keeper] },
    });
    new PopdockApiToken(this, "reporting_bot_excel", {
      apiUserId: reporting.id,
      key: "excel",
      name: "excel-workbook",
      // Generations: a new token every 90 days, the old one valid 7 more days and until unused for a day.
      rotation: { every: "90d", overlap: "7d", retireWhenUnused: "24h" },
    });

    const integration = new PopdockApiUser(this, "integration_bot", {
      name: `integration-bot-${env}`,
      description: "Nightly sync between GP, Business Central and Salesforce",
    });
    new PopdockApiUserGrant(this, "integration_bot_operations", {
      apiUserId: integration.id,
      team: "Operations",
    });
    new PopdockApiUserGrant(this, "integration_bot_contributor", {
      apiUserId: integration.id,
      role: "Contributor",
    });
    new PopdockApiUserGrant(this, "integration_bot_gp", {
      apiUserId: integration.id,
      connector: "GP Production",
      roles: ["User"],
      companies: ["Fabrikam Inc"],
      lists: ["Vendors", "Invoices"],
      actions: ["Email invoice"],
    });
    new PopdockApiUserGrant(this, "integration_bot_bc", {
      apiUserId: integration.id,
      connector: "Business Central",
      roles: ["Reader"],
      companies: ["CRONUS USA"],
      lists: ["Customers", "Items", "Sales orders"],
    });
    new PopdockApiUserGrant(this, "integration_bot_salesforce", {
      apiUserId: integration.id,
      connector: "Salesforce",
      roles: ["CustomListContributor"],
      lists: ["Accounts", "Opportunities", "Contacts"],
    });
    const sync = new PopdockApiToken(this, "integration_bot_sync", {
      apiUserId: integration.id,
      key: "sync",
    });

    new TerraformOutput(this, "reporting_bot_id", {
      value: reporting.id,
      description: "Popdock ID of the reporting API user.",
    });
    // Token IDs are secrets: an output that shows one must be sensitive.
    new TerraformOutput(this, "powerbi_token", {
      value: powerbi.tokenId,
      sensitive: true,
      description: "Paste into the Power BI data source. Read it with `popdock output powerbi_token`.",
    });
    new TerraformOutput(this, "sync_token", {
      value: sync.tokenId,
      sensitive: true,
      description: "Token of the nightly sync.",
    });
  }
}
