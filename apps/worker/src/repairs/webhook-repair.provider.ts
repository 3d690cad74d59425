import {
  type RepairProposal,
  type RepairProvider,
  RepairProviderError,
  type RepairRequest,
} from './repair-provider';

/** POSTs the repair request as JSON and takes `{ source, explanation }` back (a person, a CI job, an agent). */
export class WebhookRepairProvider implements RepairProvider {
  readonly name = 'webhook';

  constructor(private readonly options: { url: string; apiKey?: string; timeoutMs: number }) {}

  async propose(request: RepairRequest, signal: AbortSignal): Promise<RepairProposal> {
    const response = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey && { authorization: `Bearer ${this.options.apiKey}` }),
      },
      body: JSON.stringify(request),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]),
    });
    const text = await response.text();
    if (!response.ok)
      throw new RepairProviderError(`the repair webhook answered ${response.status}: ${text.slice(0, 300)}`);
    let body: { source?: unknown; explanation?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RepairProviderError('the repair webhook did not answer JSON');
    }
    if (typeof body.source !== 'string' || !body.source.trim()) {
      throw new RepairProviderError('the repair webhook answer has no "source" string');
    }
    return {
      source: body.source,
      explanation: typeof body.explanation === 'string' ? body.explanation : '',
      answer: text.slice(0, 100_000),
      promptTokens: 0,
      completionTokens: 0,
    };
  }
}
