import type { PipeTransform } from '@nestjs/common';
import { NotFoundError } from '@mendflow/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that is not a UUID cannot name anything: answer 404 with the resource's code, never a 500. */
export class UuidParam implements PipeTransform<string, string> {
  constructor(
    private readonly code: string,
    private readonly what: string,
  ) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw new NotFoundError(this.code, this.what, value);
    return value.toLowerCase();
  }
}
