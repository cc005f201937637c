/**
 * The one loopback rule, for the client (plain http is allowed only to loopback) and the
 * sandbox (it listens only on loopback unless told otherwise): the name `localhost`, the IPv4
 * range 127.0.0.0/8 and IPv6 `::1` (in any spelling, bracketed or not, and as an IPv4-mapped
 * 127.x address). `*.localhost` names are not loopback here: resolving them asks DNS, and a
 * resolver may answer with any address.
 */
import { isIP } from "node:net";

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) !== 6) return false;
  if (/^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host)) return true;
  // Expand `::` so that every spelling of ::1 (0:0:0:0:0:0:0:1, 0::1, ...) compares equal.
  const [left = "", right] = host.split("::");
  const l = left === "" ? [] : left.split(":");
  const r = right === undefined ? [] : right === "" ? [] : right.split(":");
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill("0"), ...r];
  return groups.length === 8 && groups.every((g, i) => Number.parseInt(g, 16) === (i === 7 ? 1 : 0));
}
