// The body of POST /projects from the create dialog: Harbor's ProjectReq, with registry_id only
// for a proxy cache (an ordinary project leaves it out).
export interface CreationForm {
  name: string
  isPublic: boolean
  /** Bytes, -1 for no limit. */
  limitBytes: number
  /** The registry endpoint a proxy cache pulls from; 0 for an ordinary project. */
  registryId: number
}

export function creationBody(f: CreationForm): { project_name: string; metadata: { public: boolean }; storage_limit: number; registry_id?: number } {
  return { project_name: f.name, metadata: { public: f.isPublic }, storage_limit: f.limitBytes, ...(f.registryId > 0 ? { registry_id: f.registryId } : {}) }
}
