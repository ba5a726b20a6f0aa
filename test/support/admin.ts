// Operator steps over the real admin API of a running server.

export interface CreatedStore {
  id: number;
  auth_code: string;
}

/** Creates a store through `POST /admin/stores`. */
export async function createStore(url: string, adminToken: string, name = "Cafe"): Promise<CreatedStore> {
  const res = await fetch(`${url}/admin/stores`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`store not created: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedStore;
}
