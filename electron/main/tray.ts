import { Menu, type MenuItemConstructorOptions, Tray, nativeImage } from 'electron';
import { type TrayAction, type TrayModel, sameMenu } from './tray-menu';

/**
 * The tray icon, so Ferry can keep working with its window closed. It shows tray-menu.ts's
 * model and rebuilds the menu only when the model changed. Safe to create or destroy twice.
 */
export class TrayManager {
  private tray: Tray | null = null;
  private shown: TrayModel | null = null;

  constructor(
    private readonly iconPath: string,
    private readonly actions: Record<TrayAction, () => void>,
  ) {}

  create(model: TrayModel): void {
    if (this.tray) return;
    const icon = nativeImage.createFromPath(this.iconPath);
    this.tray = new Tray(icon.isEmpty() ? nativeImage.createEmpty() : icon.resize({ width: 16, height: 16 }));
    this.tray.on('click', () => this.actions.show());
    this.show(model);
  }

  show(model: TrayModel): void {
    if (!this.tray) return;
    if (this.shown?.tooltip !== model.tooltip) this.tray.setToolTip(model.tooltip);
    if (!sameMenu(this.shown, model)) this.tray.setContextMenu(Menu.buildFromTemplate(model.items.map((item) => this.menuItem(item))));
    this.shown = model;
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = null;
    this.shown = null;
  }

  private menuItem(item: TrayModel['items'][number]): MenuItemConstructorOptions {
    if (item.type === 'separator') return { type: 'separator' };
    if (item.type === 'status') return { label: item.label, enabled: false };
    return { label: item.label, enabled: item.enabled, click: () => this.actions[item.action]() };
  }
}
