// Types for the undici module the Node transport loads directly (see undici-transport.ts).
declare module 'undici/lib/dispatcher/agent' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export = AgentClass;
}
