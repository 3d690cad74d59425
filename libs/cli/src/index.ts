export { runCli } from './program';
export { EXIT } from './output';
