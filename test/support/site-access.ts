/**
 * The RBAC of the site-access tests, as the chart README tells a platform team to grant it:
 * the chart's ClusterRoles (occupier-editor to place orders, occupier-super-admin) and one
 * ClusterRole with `manage` on named sites bound to a person. On the real test cluster there
 * is no controller-manager, so no ClusterRole aggregation: occupier-editor is bound directly.
 *
 *   alice — manages london-shoreditch and london-canary-wharf
 *   bob   — manages no site
 *   carol — occupier-super-admin (every site: Connect's T2 Super Admin)
 */
export const SITE_ACCESS_RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: occupier-editor }
rules:
  - apiGroups: [occupier.dev]
    resources: [occupiers, sitemoves, customermoves, decommissions]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [occupier.dev]
    resources: [sites]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: test-users-edit-orders, namespace: occupiers }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: occupier-editor }
subjects:
  - { kind: Group, name: "occupier:test-users", apiGroup: rbac.authorization.k8s.io }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: occupier-site-manager-london }
rules:
  - apiGroups: [occupier.dev]
    resources: [sites]
    verbs: [manage]
    resourceNames: [london-shoreditch, london-canary-wharf]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: alice-manages-london }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: occupier-site-manager-london }
subjects:
  - { kind: User, name: alice, apiGroup: rbac.authorization.k8s.io }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: occupier-super-admin }
rules:
  - apiGroups: [occupier.dev]
    resources: [sites]
    verbs: [manage]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: carol-super-admin }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: occupier-super-admin }
subjects:
  - { kind: User, name: carol, apiGroup: rbac.authorization.k8s.io }
`;
