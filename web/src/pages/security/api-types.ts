// The API's shapes the security pages use, named once.
import type { paths } from '../../api/schema'

type Json<P extends keyof paths, M extends 'get'> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never

export type Scanner = Json<'/api/v2.0/scanners', 'get'>[number]
export type ScannerMetadata = Json<'/api/v2.0/scanners/{registration_id}/metadata', 'get'>
