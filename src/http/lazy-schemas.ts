// Route schemas compiled when a route first needs them, not when the server starts.
// Fastify compiles every route's validators (Ajv) and response serializers (fast-json-stringify)
// while it starts. Berth declares several hundred routes, most of them Harbor's management API,
// which a node that only serves pushes and pulls may never be asked for; their compiled code was
// the largest part of Berth's memory at rest (docs/benchmarks.md). Here each compiler hands
// Fastify a small function that compiles on its first call and remembers the result.
// `compileAll()` compiles whatever is still pending, so that a test can prove every schema
// compiles without sending a request to every route.
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler'
import type { FastifySchemaCompiler } from 'fastify'

type Validate = ((data: unknown) => unknown) & { errors?: unknown }
type Serialize = (data: unknown) => string

export class LazySchemas {
  private readonly pending = new Set<() => void>()

  /** A validator compiler that compiles `compile`'s result on the first validation. */
  validators(compile: FastifySchemaCompiler<unknown>): FastifySchemaCompiler<unknown> {
    return (route) => {
      let compiled: Validate | undefined
      const ensure = () => {
        if (compiled === undefined) {
          compiled = compile(route) as Validate
          this.pending.delete(ensure)
        }
        return compiled
      }
      this.pending.add(ensure)
      // Fastify reads `errors` off the function it called, as Ajv leaves them there.
      const validate: Validate = (data) => {
        const fn = ensure()
        const result = fn(data)
        validate.errors = fn.errors
        return result
      }
      return validate as ReturnType<FastifySchemaCompiler<unknown>>
    }
  }

  /** Wraps Fastify's serializer factory (`schemaController.compilersFactory.buildSerializer`). */
  serializers(build: SerializerFactory): SerializerFactory {
    return (...args) => {
      const compile = build(...args)
      return (route) => {
        let compiled: Serialize | undefined
        const ensure = () => {
          if (compiled === undefined) {
            compiled = compile(route)
            this.pending.delete(ensure)
          }
          return compiled
        }
        this.pending.add(ensure)
        return (data: unknown) => ensure()(data)
      }
    }
  }

  /** How many schemas have not been compiled yet. */
  get pendingCount(): number {
    return this.pending.size
  }

  /** Compiles every schema not compiled yet; throws the first compile error. */
  compileAll(): void {
    for (const ensure of [...this.pending]) ensure()
  }
}
