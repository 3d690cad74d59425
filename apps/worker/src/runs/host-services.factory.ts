import { Inject, Injectable } from '@nestjs/common';
import { SecretBox, secretContext } from '@mendflow/common';
import { HostStateRepository, SecretsRepository, type StartedAttempt } from '@mendflow/db';
import type { HostServices } from '@mendflow/sandbox';

export const SECRET_BOX = Symbol('mendflow.secret-box');

/** The durable side of ctx for one attempt: secrets (decrypted here, redacted by the sandbox), kv, steps. */
@Injectable()
export class HostServicesFactory {
  constructor(
    private readonly secrets: SecretsRepository,
    private readonly state: HostStateRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  forAttempt(attempt: StartedAttempt): HostServices {
    const { workspaceId, automationId, runId } = attempt;
    return {
      secrets: {
        get: async (name) => {
          const ciphertext = await this.secrets.getCiphertext(workspaceId, name);
          return ciphertext === undefined
            ? undefined
            : this.box.open(ciphertext, secretContext(workspaceId, name));
        },
      },
      kv: {
        get: (key) => this.state.getKv(workspaceId, automationId, key),
        set: (key, value) => this.state.setKv(workspaceId, automationId, key, value),
        delete: (key) => this.state.deleteKv(workspaceId, automationId, key),
      },
      steps: {
        get: (name) => this.state.getStep(workspaceId, runId, name),
        put: (name, value) => this.state.putStep(workspaceId, runId, name, attempt.attempt, value),
      },
    };
  }
}
