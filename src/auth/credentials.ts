/**
 * Static upstream credentials (`upstreams[].credentials`): read once at start from the environment
 * or a file and added to the upstream's static headers. The client's own token is never involved.
 */
import { isHttpUpstream, type UpstreamConfig } from "../config/schema.js";
import { readSecret } from "./secrets.js";

/** The upstreams with their credentials resolved into `headers`; throws PORTCULLIS_CONFIG_INVALID when a secret is missing. */
export function withUpstreamCredentials(
  upstreams: UpstreamConfig[],
  environment: NodeJS.ProcessEnv = process.env,
): UpstreamConfig[] {
  return upstreams.map((u) => {
    if (!isHttpUpstream(u) || u.credentials === undefined) return u;
    const c = u.credentials;
    const secret = readSecret(`upstreams.${u.name}.credentials`, { env: c.value_env, file: c.value_file }, environment);
    const value = c.scheme === undefined ? secret : `${c.scheme} ${secret}`;
    return { ...u, headers: { ...u.headers, [c.header.toLowerCase()]: value } };
  });
}
