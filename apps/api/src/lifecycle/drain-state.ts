import { Injectable } from '@nestjs/common';

/** Whether this API process is shutting down: /readyz then answers 503 so load balancers move on. */
@Injectable()
export class DrainState {
  private shuttingDown = false;

  get draining(): boolean {
    return this.shuttingDown;
  }

  begin(): void {
    this.shuttingDown = true;
  }
}
