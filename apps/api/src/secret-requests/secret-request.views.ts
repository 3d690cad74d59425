import type { SecretRequestView } from '@mendflow/contracts';
import type { SecretRequestRecord } from '@mendflow/db';

export function secretRequestView(request: SecretRequestRecord): SecretRequestView {
  return {
    id: request.id,
    name: request.name,
    purpose: request.purpose,
    requestedByKeyId: request.requestedByKeyId,
    status: request.status,
    createdAt: request.createdAt.toISOString(),
    fulfilledAt: request.fulfilledAt?.toISOString() ?? null,
  };
}
