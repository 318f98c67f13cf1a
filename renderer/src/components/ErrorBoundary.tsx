import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What failed, for the person: "this row", "the details panel", "the window". */
  what: string;
  /** Told once per failure (the notices, the console). */
  onError?: (message: string) => void;
  /** What stands in place of what failed; by default a one-line note. */
  fallback?: (message: string, retry: () => void) => ReactNode;
  children: ReactNode;
}

/**
 * Keeps one failing part of the window from taking the rest down with it: a row that cannot
 * render shows a note in its place and the queue stays up. Retry renders it again (the next
 * batch may have what it lacked).
 */
export class ErrorBoundary extends Component<Props, { message: string | null }> {
  override state = { message: null as string | null };

  static getDerivedStateFromError(error: unknown): { message: string } {
    return { message: error instanceof Error ? error.message : String(error) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Ferry: ${this.props.what} failed to show`, error, info.componentStack);
    this.props.onError?.(`${this.props.what} could not be shown (${message}).`);
  }

  override render(): ReactNode {
    const { message } = this.state;
    if (message === null) return this.props.children;
    const retry = (): void => this.setState({ message: null });
    if (this.props.fallback) return this.props.fallback(message, retry);
    return (
      <div role="alert" className="boundary-note">
        {this.props.what} could not be shown: {message}.{' '}
        <button type="button" onClick={retry}>
          Try again
        </button>
      </div>
    );
  }
}
