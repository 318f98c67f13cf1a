import { Engine, type EngineOptions } from '../engine';
import { KeyFileSecretBox } from '../secrets';
import { ferryVersion } from '../version';
import { EngineService, type ServiceHost } from './engine-service';

/** The engine and its service, opened together: the service hears every engine event. */
export function openEngineService(
  options: Omit<EngineOptions, 'onEvent' | 'secrets'> & { host: Omit<ServiceHost, 'dataDir'>; batchIntervalMs?: number; noticeQuietMs?: number },
): { engine: Engine; service: EngineService } {
  let service: EngineService | null = null;
  const engine = Engine.open({ ...options, secrets: options.host.secrets, onEvent: (event) => service?.engineEvent(event) });
  service = new EngineService(engine, { ...options.host, dataDir: options.dataDir }, options);
  return { engine, service };
}

/**
 * The host `ferry serve` is: no desktop to reveal or open files in, secrets sealed with a
 * key file in the data directory.
 */
export function headlessHost(dataDir: string, defaultDownloadDir: string, log?: (message: string) => void, nativeHost: ServiceHost['nativeHost'] = null): Omit<ServiceHost, 'dataDir'> {
  return { kind: 'serve', version: ferryVersion(), defaultDownloadDir, secrets: new KeyFileSecretBox(dataDir), reveal: null, open: null, log, nativeHost };
}
