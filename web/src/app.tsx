export function App() {
  return <main>Billing</main>;
}
