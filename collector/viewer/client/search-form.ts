/**
 * The search form's operation list follows the chosen service: the server renders the list for the service of the
 * last search, this refills it from the query API when another is chosen. Inlined as the page's script.
 */
export function searchForm(): void {
  const service = document.querySelector<HTMLSelectElement>('form.search select[name=service]')
  const operation = document.querySelector<HTMLSelectElement>('form.search select[name=operation]')
  if (!service || !operation) return
  service.addEventListener('change', async () => {
    const chosen = service.value
    operation.replaceChildren(new Option('all operations', ''))
    operation.disabled = !chosen
    if (!chosen) return
    const response = await fetch(`/api/services/${encodeURIComponent(chosen)}/operations`)
    if (!response.ok || service.value !== chosen) return
    const { data } = (await response.json()) as { data: string[] }
    for (const name of data) operation.add(new Option(name, name))
  })
}
