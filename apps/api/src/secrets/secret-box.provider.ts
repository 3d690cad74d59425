import { SecretBox } from '@mendflow/common';
import { API_CONFIG, type ApiConfig } from '../config/api-config';

export const SECRET_BOX = Symbol('mendflow.secret-box');

export const secretBoxProvider = {
  provide: SECRET_BOX,
  useFactory: (config: ApiConfig) => new SecretBox(config.MENDFLOW_SECRET_KEY),
  inject: [API_CONFIG],
};
