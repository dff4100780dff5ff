// The wire shapes of the replication API, as the typed client has them.
import type { paths } from '../../api/schema'

type Json<P extends keyof paths, M extends 'get' | 'post' | 'put'> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never
type Body<P extends keyof paths, M extends 'post' | 'put'> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never

export type Registry = Json<'/api/v2.0/registries', 'get'>[number]
export type Policy = Json<'/api/v2.0/replication/policies', 'get'>[number]
export type PolicyBody = Body<'/api/v2.0/replication/policies', 'post'>
export type Filter = Policy['filters'][number]
export type Execution = Json<'/api/v2.0/replication/executions', 'get'>[number]
export type Task = Json<'/api/v2.0/replication/executions/{id}/tasks', 'get'>[number]
export type AdapterInfo = Json<'/api/v2.0/replication/adapterinfos', 'get'>[string]
