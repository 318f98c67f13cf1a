/**
 * The WebExtension APIs the extension uses, as Chromium and Firefox (MV3, promise-based
 * `chrome.*`) both provide them. Only what is called here; the project has no @types/chrome.
 */
declare namespace chrome {
  interface Event<L> {
    addListener(listener: L): void;
  }

  namespace runtime {
    interface MessageSender {
      id?: string;
      tab?: tabs.Tab;
    }
    function sendNativeMessage(application: string, message: unknown): Promise<unknown>;
    function sendMessage(message: unknown): Promise<unknown>;
    function getURL(path: string): string;
    const id: string;
    const onMessage: Event<(message: unknown, sender: MessageSender, sendResponse: (response?: unknown) => void) => boolean | void>;
    const onInstalled: Event<() => void>;
    const onStartup: Event<() => void>;
  }

  namespace downloads {
    interface DownloadItem {
      id: number;
      url: string;
      finalUrl?: string;
      referrer?: string;
      filename: string;
      mime?: string;
      incognito: boolean;
      totalBytes: number;
      fileSize: number;
      state: 'in_progress' | 'interrupted' | 'complete';
      byExtensionId?: string;
    }
    interface FilenameSuggestion {
      filename: string;
    }
    const onCreated: Event<(item: DownloadItem) => void>;
    /** Chromium only: the download waits for suggest() before it can complete. */
    const onDeterminingFilename: Event<(item: DownloadItem, suggest: (suggestion?: FilenameSuggestion) => void) => boolean | void> | undefined;
    function pause(id: number): Promise<void>;
    function resume(id: number): Promise<void>;
    function cancel(id: number): Promise<void>;
    function erase(query: { id: number }): Promise<number[]>;
    function download(options: { url: string; filename?: string; headers?: Array<{ name: string; value: string }> }): Promise<number>;
    function search(query: { id?: number; url?: string }): Promise<DownloadItem[]>;
  }

  namespace cookies {
    interface Cookie {
      name: string;
      value: string;
    }
    function getAll(details: { url: string; storeId?: string }): Promise<Cookie[]>;
  }

  namespace storage {
    interface StorageArea {
      get(keys: string | string[]): Promise<Record<string, unknown>>;
      set(items: Record<string, unknown>): Promise<void>;
    }
    const local: StorageArea;
    const onChanged: Event<(changes: Record<string, { newValue?: unknown; oldValue?: unknown }>, area: string) => void>;
  }

  namespace contextMenus {
    interface OnClickData {
      menuItemId: string | number;
      linkUrl?: string;
      srcUrl?: string;
      pageUrl?: string;
      frameId?: number;
    }
    function create(properties: { id: string; title: string; contexts: string[] }): void;
    function removeAll(): Promise<void>;
    const onClicked: Event<(info: OnClickData, tab?: tabs.Tab) => void>;
  }

  namespace tabs {
    interface Tab {
      id?: number;
      url?: string;
      incognito: boolean;
    }
    function sendMessage(tabId: number, message: unknown, options?: { frameId?: number }): Promise<unknown>;
    function create(properties: { url: string }): Promise<Tab>;
  }

  namespace action {
    function setBadgeText(details: { text: string }): Promise<void>;
    function setBadgeBackgroundColor(details: { color: string }): Promise<void>;
    function setTitle(details: { title: string }): Promise<void>;
  }
}
