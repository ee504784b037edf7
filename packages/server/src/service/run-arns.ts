import { formatArn, parseArn } from '@cairn/core';

/**
 * ARNs of runs (SageMaker actions) and artifact versions in the server's region and account,
 * as the SageMaker face formats them, so both faces meet on the same `associations` rows.
 */
export class NodeArns {
  constructor(
    private readonly region: string,
    private readonly account: string,
  ) {}

  run(id: string): string {
    return formatArn('action', id, this.region, this.account);
  }

  version(id: string): string {
    return formatArn('artifact', id, this.region, this.account);
  }

  /** The kind and id of an ARN, or undefined when it is not one of ours. */
  parse(arn: string): { kind: string; id: string } | undefined {
    try {
      const p = parseArn(arn);
      if (p.region !== this.region || p.account !== this.account) return undefined;
      return { kind: p.kind, id: p.id };
    } catch {
      return undefined;
    }
  }
}
