/**
 * `popdock workspace list | show | new NAME | select NAME | delete NAME`: several states for one
 * configuration (staging, prod…), like Terraform's workspaces. The selected one is recorded in
 * `.popdock/environment`; `--workspace` and `POPDOCK_WORKSPACE` override it for one command.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { emptyState } from "../../backends/state-codec.js";
import { checkWorkspaceName, DEFAULT_WORKSPACE } from "../../backends/workspaces.js";
import { UsageError } from "../../model/errors.js";
import { flag, LOCATE_OPTIONS, list, lockBackend, openStateBackend, STATE_OPTIONS } from "../common.js";
import type { Command, OptionSpec } from "../io.js";
import { environmentFile, locateConfig } from "../wiring.js";

const USAGE = "workspace list | show | new NAME | select NAME | delete NAME [--force]";

export const command: Command = {
  name: "workspace",
  summary: "List, create, select or delete workspaces (one state each for one configuration).",
  usage: `${USAGE} [options]`,
  examples: [
    "popdock workspace new staging",
    "popdock workspace list",
    "popdock plan --workspace prod",
    "popdock workspace delete staging --force",
  ],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the configuration formats' own syntax, quoted
  help: "The selected workspace is recorded in .popdock/environment; --workspace or POPDOCK_WORKSPACE override it for one command.\nIn the configuration, ${workspace} (YAML) and ${terraform.workspace} (Terraform JSON) are its name.",
  maxPositionals: 2,
  options: {
    config: LOCATE_OPTIONS.config as OptionSpec,
    workspace: LOCATE_OPTIONS.workspace as OptionSpec,
    "backend-config": LOCATE_OPTIONS["backend-config"] as OptionSpec,
    "lock-timeout": STATE_OPTIONS["lock-timeout"] as OptionSpec,
    lock: STATE_OPTIONS.lock as OptionSpec,
    force: { type: "boolean", description: "delete: forget a workspace whose state still manages objects" },
  },
  async run(args, io) {
    const [sub, name] = args.positionals;
    const location = await locateConfig(list(args, "config"), io.cwd);
    const current = await openStateBackend(args, io, location);
    try {
      const env = environmentFile(location.baseDir);
      const select = async (ws: string) => {
        await mkdir(dirname(env), { recursive: true, mode: 0o700 });
        await writeFile(env, `${ws}\n`, { mode: 0o600 });
      };
      const needName = (verb: string) => {
        if (name === undefined)
          throw new UsageError(`workspace ${verb} needs a NAME`, { hint: `popdock ${USAGE}` });
        return checkWorkspaceName(name, `workspace ${verb}`);
      };
      switch (sub) {
        case "list": {
          for (const ws of await current.listWorkspaces()) {
            io.stdout.write(`${ws === current.workspace ? "*" : " "} ${ws}\n`);
          }
          return 0;
        }
        case "show":
          io.stdout.write(`${current.workspace}\n`);
          return 0;
        case "new": {
          const ws = needName("new");
          if ((await current.listWorkspaces()).includes(ws)) {
            throw new UsageError(`workspace ${JSON.stringify(ws)} already exists`, {
              hint: `select it: popdock workspace select ${ws}`,
            });
          }
          const backend = current.forWorkspace(ws);
          const lock = await lockBackend(args, io, backend, "popdock workspace new");
          try {
            await backend.write(emptyState(), -1);
          } finally {
            await lock.release();
            await backend.close();
          }
          await select(ws);
          io.stdout.write(
            `Created and switched to workspace "${ws}". It has no state yet: plan and apply fill it.\n`,
          );
          return 0;
        }
        case "select": {
          const ws = needName("select");
          if (!(await current.listWorkspaces()).includes(ws)) {
            throw new UsageError(`workspace ${JSON.stringify(ws)} does not exist`, {
              hint: `create it: popdock workspace new ${ws}`,
            });
          }
          await select(ws);
          io.stdout.write(`Switched to workspace "${ws}".\n`);
          return 0;
        }
        case "delete": {
          const ws = needName("delete");
          if (ws === DEFAULT_WORKSPACE) throw new UsageError("the default workspace cannot be deleted");
          if (ws === current.workspace) {
            throw new UsageError(`workspace "${ws}" is the one in use; select another first`, {
              hint: "popdock workspace select default",
            });
          }
          const backend = current.forWorkspace(ws);
          const lock = await lockBackend(args, io, backend, "popdock workspace delete");
          try {
            await current.deleteWorkspace(ws, { force: flag(args, "force") });
          } finally {
            await lock.release();
            await backend.close();
          }
          io.stdout.write(`Deleted workspace "${ws}".\n`);
          return 0;
        }
        default:
          throw new UsageError(`unknown workspace subcommand "${sub ?? ""}"`, { hint: `popdock ${USAGE}` });
      }
    } finally {
      await current.close();
    }
  },
};
