/**
 * The router: which stream an event goes to. The options' names and the names given to `log()` may be
 * templates (see `template.ts`); a name with a time token routes each event by its own timestamp, so a
 * stream per day or hour rotates by itself and a late event lands in the stream of its own time. A
 * name without a template costs a map lookup, as it did before templates.
 */
import type { Destination, Stream } from './destination.js';
import { hasTemplateSyntax, type NameTemplate, NameTemplateCache, type TemplateContext } from './template.js';

export interface RouterOptions {
  /** The options' `logGroupName`, compiled: a group name never holds a time token. */
  readonly groupTemplate: NameTemplate;
  readonly streamTemplate: NameTemplate;
  readonly templateContext: TemplateContext;
}

/** A destination as the router hands it out: its names, and whether its stream name holds a brace. */
export interface RoutedStream extends Destination {
  readonly braces: boolean;
}

/** Where the router finds and makes destinations: the buffers, or the worker mode's registry. */
export interface StreamRegistry<S extends RoutedStream> {
  lookup(logGroupName: string, logStreamName: string): S | undefined;
  stream(logGroupName: string, logStreamName: string): S | undefined;
  pin(stream: S): void;
}

export class Router<S extends RoutedStream = Stream> {
  readonly #buffers: StreamRegistry<S>;
  readonly #group: string;
  readonly #stream: NameTemplate;
  /** The default stream when its name is constant: pinned, so it is never let go. */
  readonly #defaultStream: S | undefined;
  readonly #templates: NameTemplateCache;
  readonly #refused: (group: unknown, stream: unknown) => void;

  constructor(
    buffers: StreamRegistry<S>,
    options: RouterOptions,
    refused: (group: unknown, stream: unknown) => void,
  ) {
    this.#buffers = buffers;
    this.#group = options.groupTemplate.constant as string;
    this.#stream = options.streamTemplate;
    this.#templates = new NameTemplateCache(options.templateContext);
    this.#refused = refused;
    const constant = options.streamTemplate.constant;
    if (constant !== undefined) {
      this.#defaultStream = buffers.stream(this.#group, constant);
      if (this.#defaultStream !== undefined) buffers.pin(this.#defaultStream);
    }
  }

  /** The stream for an event at `timestamp` logged to `where` (the default when undefined). */
  route(where: Partial<Destination> | undefined, timestamp: number): S | undefined {
    if (where === undefined) return this.#defaultStream ?? this.#defaultFor(timestamp);
    let group: unknown;
    let stream: unknown;
    try {
      group = where.logGroupName;
      stream = where.logStreamName;
    } catch {
      this.#refused(undefined, undefined);
      return undefined;
    }
    if (group === undefined) group = this.#group;
    // The default stream's name is expanded already: it is never read as a template again.
    let expanded = false;
    if (stream === undefined) {
      if (group === this.#group) return this.#defaultStream ?? this.#defaultFor(timestamp);
      stream = this.#stream.constant ?? this.#stream.expand(timestamp);
      expanded = true;
      if (stream === undefined) {
        this.#refused(group, this.#stream.template);
        return undefined;
      }
    }
    if (typeof group !== 'string' || typeof stream !== 'string') {
      this.#refused(group, stream);
      return undefined;
    }
    // Plain names: the registry's lookup, as before templates. A name with braces is a template
    // (unless it came expanded): a stream literally named `app-{date}` is not the template `app-{date}`.
    const known = this.#buffers.lookup(group, stream);
    if (known !== undefined && (expanded || !known.braces)) return known;
    const groupTemplate = hasTemplateSyntax(group);
    const streamTemplate = !expanded && hasTemplateSyntax(stream);
    if (!groupTemplate && !streamTemplate) return this.#buffers.stream(group, stream);
    const groupName = groupTemplate ? this.#templates.get('group', group)?.constant : group;
    let streamName: string | undefined = stream;
    if (streamTemplate) {
      const template = this.#templates.get('stream', stream);
      streamName = template === undefined ? undefined : (template.constant ?? template.expand(timestamp));
    }
    if (groupName === undefined || streamName === undefined) {
      this.#refused(group, stream);
      return undefined;
    }
    return this.#buffers.stream(groupName, streamName);
  }

  #defaultFor(timestamp: number): S | undefined {
    const name = this.#stream.expand(timestamp);
    if (name === undefined) {
      this.#refused(this.#group, this.#stream.template);
      return undefined;
    }
    return this.#buffers.stream(this.#group, name);
  }
}
