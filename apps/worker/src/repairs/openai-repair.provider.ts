import { buildRepairMessages, parseRepairAnswer } from './repair-prompt';
import {
  type RepairProposal,
  type RepairProvider,
  RepairProviderError,
  type RepairRequest,
} from './repair-provider';

interface ChatCompletion {
  model?: string;
  choices?: { message?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** Any OpenAI-compatible chat-completions endpoint: OpenAI, vLLM, Ollama, OpenRouter, LM Studio … */
export class OpenAiRepairProvider implements RepairProvider {
  readonly name = 'openai';

  constructor(
    private readonly options: { baseUrl: string; model: string; apiKey?: string; timeoutMs: number },
  ) {}

  async propose(request: RepairRequest, signal: AbortSignal): Promise<RepairProposal> {
    const messages = buildRepairMessages(request);
    const body = { model: this.options.model, messages, temperature: 0 };
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey && { authorization: `Bearer ${this.options.apiKey}` }),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]),
    });
    const text = await response.text();
    if (!response.ok)
      throw new RepairProviderError(
        `the completions endpoint answered ${response.status}: ${text.slice(0, 300)}`,
      );
    let completion: ChatCompletion;
    try {
      completion = JSON.parse(text) as ChatCompletion;
    } catch {
      throw new RepairProviderError('the completions endpoint did not answer JSON');
    }
    const answer = completion.choices?.[0]?.message?.content ?? '';
    const usage = {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    };
    const parsed = parseRepairAnswer(answer);
    if (!parsed) {
      throw Object.assign(new RepairProviderError('the model did not answer with a script'), {
        usage,
        answer,
      });
    }
    return { ...parsed, model: completion.model ?? this.options.model, prompt: messages, answer, ...usage };
  }
}
