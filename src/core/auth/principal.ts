/** Who is calling, as proven by a verified access token. */
export const ROLES = ['traveller', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface AuthUser {
  id: string
  email: string
  role: Role
}
