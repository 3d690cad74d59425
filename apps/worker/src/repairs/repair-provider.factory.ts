import type { WorkerConfig } from '../config/worker-config';
import { OpenAiRepairProvider } from './openai-repair.provider';
import { type RepairProvider, RepairProviderError } from './repair-provider';
import { WebhookRepairProvider } from './webhook-repair.provider';

/** REPAIR_PROVIDER picks the provider; with `none` no repair is ever requested (RepairBudget says so). */
export function createRepairProvider(config: WorkerConfig): RepairProvider {
  const timeoutMs = config.REPAIR_TIMEOUT_MS;
  switch (config.REPAIR_PROVIDER) {
    case 'openai':
      return new OpenAiRepairProvider({
        baseUrl: config.REPAIR_BASE_URL!,
        model: config.REPAIR_MODEL,
        apiKey: config.REPAIR_API_KEY,
        timeoutMs,
      });
    case 'webhook':
      return new WebhookRepairProvider({
        url: config.REPAIR_BASE_URL!,
        apiKey: config.REPAIR_API_KEY,
        timeoutMs,
      });
    default:
      return {
        name: 'none',
        propose: () => Promise.reject(new RepairProviderError('no repair provider is configured')),
      };
  }
}
