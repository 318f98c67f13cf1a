import type { MessagePortMain } from 'electron';
import type { Channel } from '../common/rpc';

/** A Channel over an Electron MessagePortMain (structured clone). */
export function mainPortChannel(port: MessagePortMain): Channel {
  return {
    send: (message) => port.postMessage(message),
    onMessage(listener) {
      const handler = (event: Electron.MessageEvent): void => listener(event.data);
      port.on('message', handler);
      // A MessagePortMain queues messages until started; starting twice is harmless.
      port.start();
      return () => port.off('message', handler);
    },
    onClose(listener) {
      port.once('close', listener);
      return () => port.off('close', listener);
    },
    close: () => port.close(),
  };
}
