// Harbor's rule selectors on the wire (ImmutableSelector, RetentionSelector): as the API shows
// them and as clients send them. Immutability and retention rules share them.
import { Type } from '@sinclair/typebox'

export const SelectorJson = Type.Object({
  kind: Type.String({ description: 'doublestar' }),
  decoration: Type.String({ description: 'matches or excludes (tags); repoMatches or repoExcludes (repositories)' }),
  pattern: Type.String({ description: 'a doublestar glob: **, *, ?, {a,b}; repositories are matched without their project' }),
  extras: Type.Optional(Type.String({ description: 'JSON such as {"untagged":true}' })),
})

/** Every field optional here: the service says what is missing or wrong, naming the field. */
export const SelectorBody = Type.Object(
  {
    kind: Type.Optional(Type.String({ maxLength: 64 })),
    decoration: Type.Optional(Type.String({ maxLength: 64 })),
    pattern: Type.Optional(Type.String({ maxLength: 1024 })),
    extras: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
)
