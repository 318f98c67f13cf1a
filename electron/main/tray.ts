import { Menu, Tray, nativeImage } from 'electron';

export interface TrayActions {
  show(): void;
  pauseAll(): void;
  resumeAll(): void;
  quit(): void;
}

/** The tray icon, so Ferry can keep working with its window closed. Safe to create or destroy twice. */
export class TrayManager {
  private tray: Tray | null = null;

  constructor(
    private readonly iconPath: string,
    private readonly actions: TrayActions,
  ) {}

  create(): void {
    if (this.tray) return;
    const icon = nativeImage.createFromPath(this.iconPath);
    this.tray = new Tray(icon.isEmpty() ? nativeImage.createEmpty() : icon.resize({ width: 16, height: 16 }));
    this.tray.setToolTip('Ferry');
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show Ferry', click: () => this.actions.show() },
        { type: 'separator' },
        { label: 'Pause all', click: () => this.actions.pauseAll() },
        { label: 'Resume all', click: () => this.actions.resumeAll() },
        { type: 'separator' },
        { label: 'Quit Ferry', click: () => this.actions.quit() },
      ]),
    );
    this.tray.on('click', () => this.actions.show());
  }

  setToolTip(text: string): void {
    this.tray?.setToolTip(text);
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = null;
  }
}
