# Berth's container image: build with the full toolchain, run on a slim image as a non-root user.
#   docker build -t berth .
#   docker run -p 5000:5000 -e BERTH_HTTP_HOST=0.0.0.0 -v berth-data:/data berth
FROM node:20-bookworm AS build
WORKDIR /src
# better-sqlite3 compiles its native addon here (python3, make and g++ come with this image).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    BERTH_HTTP_HOST=0.0.0.0 \
    BERTH_HTTP_PORT=5000 \
    BERTH_DATA_DIR=/data
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json berth.example.yml ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 9090: Prometheus metrics, when BERTH_METRICS_ENABLED=true.
EXPOSE 5000 9090
# Liveness is /livez (answers while migrations run); readiness /readyz (orchestrators probe it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:'+(process.env.BERTH_HTTP_PORT||5000)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/app/cli.js"]
CMD ["serve"]
