import { Cairn } from '@cairn/sdk';

export interface ClientFlags {
  url?: string;
  apiKey?: string;
}

/** The SDK client for a command: flags win over CAIRN_* environment variables. */
export function clientFrom(flags: ClientFlags): Cairn {
  return new Cairn({
    ...(flags.url ? { url: flags.url } : {}),
    ...(flags.apiKey ? { apiKey: flags.apiKey } : {}),
  });
}
