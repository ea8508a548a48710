/**
 * The domains hanzod carries, loaded when a call first needs one: the manifest (derived from the
 * declarations) says which domain declares a method without loading any, so start-up and RSS at ready
 * do not grow with the number of domains. A domain's `setup` (its stores) runs on its first handled
 * call, not on an authorization check; `close` runs the teardowns of those that were set up.
 */
import { DOMAIN_LOADERS, DOMAIN_OF_METHOD, EAGER_DOMAINS } from "../domains/manifest.generated.js";
import type { DomainDeclaration, MethodDeclaration } from "./method.js";
import type { CoreServices } from "./runtime.js";

export type DomainLoaders = Readonly<Record<string, () => Promise<{ default: DomainDeclaration }>>>;

export class LoadedDomain {
  readonly methods = new Map<string, MethodDeclaration>();
  private built: { value: unknown } | undefined;

  constructor(
    readonly decl: DomainDeclaration,
    private readonly core: CoreServices,
  ) {
    for (const m of decl.methods) this.methods.set(m.name, m);
  }

  /** The domain's own state, built by `setup` on first use. */
  state(): unknown {
    this.built ??= { value: this.decl.setup ? this.decl.setup(this.core) : undefined };
    return this.built.value;
  }

  async close(): Promise<void> {
    if (this.built && this.decl.teardown) await this.decl.teardown(this.built.value);
    this.built = undefined;
  }
}

export interface ResolvedMethod {
  decl: MethodDeclaration;
  domain: LoadedDomain;
}

export class DomainRegistry {
  private readonly loaded = new Map<string, LoadedDomain>();
  private readonly loading = new Map<string, Promise<LoadedDomain>>();
  private readonly resolved = new Map<string, ResolvedMethod>();

  constructor(
    private readonly core: CoreServices,
    private readonly ofMethod: Readonly<Record<string, string>> = DOMAIN_OF_METHOD,
    private readonly loaders: DomainLoaders = DOMAIN_LOADERS,
  ) {}

  implements(method: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.ofMethod, method);
  }

  /** Synchronous once the method's domain is loaded (the hot path); undefined when hanzod does not implement it. */
  resolve(method: string): ResolvedMethod | Promise<ResolvedMethod> | undefined {
    const hit = this.resolved.get(method);
    if (hit) return hit;
    if (!this.implements(method)) return undefined;
    const name = this.ofMethod[method] as string;
    const ready = this.loaded.get(name);
    return ready ? this.bind(method, ready) : this.load(name).then((domain) => this.bind(method, domain));
  }

  private bind(method: string, domain: LoadedDomain): ResolvedMethod {
    const decl = domain.methods.get(method);
    if (!decl) throw new Error(`hanzod: the manifest puts ${method} in domain ${domain.decl.name}, which does not declare it (run npm run hanzod:manifest)`);
    const r = { decl, domain };
    this.resolved.set(method, r);
    return r;
  }

  /** Loads the eager domains (before listening), so their first call pays no module load. */
  async preload(names: readonly string[] = EAGER_DOMAINS): Promise<void> {
    await Promise.all(names.map((n) => this.load(n)));
  }

  /** Names of the domains loaded so far (tests, diagnostics). */
  loadedNames(): string[] {
    return [...this.loaded.keys()];
  }

  private load(name: string): Promise<LoadedDomain> {
    let pending = this.loading.get(name);
    if (!pending) {
      const loader = this.loaders[name];
      if (!loader) return Promise.reject(new Error(`hanzod: no loader for domain ${name}`));
      pending = loader().then((mod) => {
        const domain = new LoadedDomain(mod.default, this.core);
        this.loaded.set(name, domain);
        this.loading.delete(name);
        return domain;
      });
      pending.catch(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    return pending;
  }

  async close(): Promise<void> {
    for (const d of this.loaded.values()) await d.close();
  }
}
