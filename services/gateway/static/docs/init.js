// Swagger UI on the gateway's own OpenAPI document (generated from the contracts at build time).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
