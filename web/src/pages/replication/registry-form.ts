// A registry endpoint as its form holds it, and the request bodies made from it. The stored
// secret never comes back from the server (it reads "*****"); an empty secret field means "keep it".
import type { paths } from '../../api/schema'
import type { Registry } from './api-types'

type Body<P extends keyof paths, M extends 'post' | 'put'> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never

export interface RegistryForm {
  type: string
  name: string
  description: string
  url: string
  accessKey: string
  /** What was typed; empty keeps a stored secret. */
  secret: string
  insecure: boolean
}

export function registryFormOf(r?: Registry): RegistryForm {
  return { type: r?.type ?? 'berth', name: r?.name ?? '', description: r?.description ?? '', url: r?.url ?? '', accessKey: r?.credential.access_key ?? '', secret: '', insecure: r?.insecure ?? false }
}

export function registryUrlValid(url: string): boolean {
  try {
    const u = new URL(url)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === ''
  } catch {
    return false
  }
}

const typedSecret = (f: RegistryForm) => (f.secret !== '' ? { access_secret: f.secret } : {})

export function createBody(f: RegistryForm): Body<'/api/v2.0/registries', 'post'> {
  return { name: f.name.trim(), type: f.type, description: f.description, url: f.url, credential: { type: 'basic', access_key: f.accessKey, access_secret: f.secret }, insecure: f.insecure }
}

export function updateBody(f: RegistryForm): Body<'/api/v2.0/registries/{id}', 'put'> {
  return { name: f.name.trim(), description: f.description, url: f.url, credential_type: 'basic', access_key: f.accessKey, insecure: f.insecure, ...typedSecret(f) }
}

/** A test of the form as it stands: a stored registry by its id (its stored secret unless a new one is typed), a new one by its fields. */
export function pingBody(f: RegistryForm, id?: number): Body<'/api/v2.0/registries/ping', 'post'> {
  const common = { url: f.url, access_key: f.accessKey, insecure: f.insecure, ...typedSecret(f) }
  return id !== undefined ? { id, ...common } : { type: f.type, credential_type: 'basic', ...common }
}
