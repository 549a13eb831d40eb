// Cytoscape drawing of a partnership graph (a separate chunk, loaded by the graph page only).

import cytoscape from "cytoscape";
import type { GraphData } from "./graph";

const STYLESHEET_ID = "__________cytoscape_stylesheet";

export function drawGraph(container: HTMLElement, data: GraphData, centre: string, onSelect: (id: string) => void): void {
  // Cytoscape injects a <style> element unless one with this id exists; a strict CSP
  // (style-src 'self') would block it. Its one rule lives in our stylesheet instead.
  if (!document.getElementById(STYLESHEET_ID)) {
    const marker = document.createElement("meta");
    marker.id = STYLESHEET_ID;
    document.head.appendChild(marker);
  }
  const cy = cytoscape({
    container,
    elements: [
      ...data.actors.map((a) => ({ data: { id: a.id, label: a.name ?? a.id, centre: a.id === centre ? 1 : 0 } })),
      ...data.partnerships.map((p) => ({ data: { id: p.id, source: p.a, target: p.b, trust: p.trust } })),
    ],
    style: [
      {
        selector: "node",
        style: {
          "background-color": "#1d5c8c",
          label: "data(label)",
          color: "#1a1a1a",
          "font-size": 10,
          "text-wrap": "wrap",
          "text-max-width": "120px",
          "text-valign": "bottom",
          "text-margin-y": 4,
          width: 16,
          height: 16,
        },
      },
      { selector: "node[centre = 1]", style: { "background-color": "#b3261e", width: 26, height: 26, "font-weight": "bold" } },
      {
        selector: "edge",
        style: { width: "mapData(trust, 0, 1, 0.5, 5)", "line-color": "#8a9bb0", "curve-style": "haystack" },
      },
      { selector: ":selected", style: { "background-color": "#e8a317", "line-color": "#e8a317" } },
    ],
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: () => 60000, idealEdgeLength: () => 110, nodeOverlap: 40, componentSpacing: 80, padding: 20 },
    wheelSensitivity: 0.3,
  });
  cy.on("tap", "node", (evt) => {
    const id = evt.target.id() as string;
    if (id !== centre) onSelect(id);
  });
}
